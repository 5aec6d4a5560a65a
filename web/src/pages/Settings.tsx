/** The Settings page (to be built). */
export function SettingsPage() {
  return (
    <section class="page">
      <h1>Settings</h1>
    </section>
  );
}

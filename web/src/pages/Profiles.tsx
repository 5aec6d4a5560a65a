/** The Quality profiles page (to be built). */
export function ProfilesPage() {
  return (
    <section class="page">
      <h1>Quality profiles</h1>
    </section>
  );
}

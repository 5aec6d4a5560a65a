/** The Health page (to be built). */
export function HealthPage() {
  return (
    <section class="page">
      <h1>Health</h1>
    </section>
  );
}

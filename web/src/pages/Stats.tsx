/** The Statistics page (to be built). */
export function StatsPage() {
  return (
    <section class="page">
      <h1>Statistics</h1>
    </section>
  );
}

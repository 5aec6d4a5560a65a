/** The History page (to be built). */
export function HistoryPage() {
  return (
    <section class="page">
      <h1>History</h1>
    </section>
  );
}

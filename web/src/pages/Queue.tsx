/** The Queue page (to be built). */
export function QueuePage() {
  return (
    <section class="page">
      <h1>Queue</h1>
    </section>
  );
}

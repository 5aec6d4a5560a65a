/** The Blocklist page (to be built). */
export function BlocklistPage() {
  return (
    <section class="page">
      <h1>Blocklist</h1>
    </section>
  );
}

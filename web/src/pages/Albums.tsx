/** The Albums page (to be built). */
export function AlbumsPage() {
  return (
    <section class="page">
      <h1>Albums</h1>
    </section>
  );
}

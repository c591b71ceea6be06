export default function NotFound() {
  return (
    <main style={{ maxWidth: 720, margin: "0 auto", padding: "48px 24px" }}>
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <a href="/">Back to SomaAgent</a>
      </p>
    </main>
  );
}

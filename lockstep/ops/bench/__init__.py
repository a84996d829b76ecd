"""The scale bench (`lockstep bench`, `make bench`, docs/PERFORMANCE.md).

- `generate`: a deterministic organization of a given size (S, M, L), written through the
  product's own bulk paths (the import engine for teams, leads and opportunities).
- `figures`: the funnel and the results ("scorecard") figures of the largest program,
  computed by the product and by hand-written SQL (`hand`), checked equal, then timed.
- `http`: `lockstep serve` as deployed under wrk, each page against a trivial page that
  renders the base layout for the same member.
- `report`: the side-by-side tables."""

// blessed and blessed-contrib ship no types. The dashboard uses a handful of
// their calls, typed where it uses them (see dashboard.ts); these
// declarations only let TypeScript import the two CommonJS modules.

declare module 'blessed' {
  const blessed: unknown;
  export default blessed;
}

declare module 'blessed-contrib' {
  const contrib: unknown;
  export default contrib;
}

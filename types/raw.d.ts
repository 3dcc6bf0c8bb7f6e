/** Vite `?raw` imports (used by workerd tests to load fixture text). */
declare module "*?raw" {
  const text: string;
  export default text;
}

/**
 * How a benchmark script reports: its figures, formatted the same way in every table, and its exit
 * once `main` settles (children, sockets and timers it leaves behind would otherwise hold the
 * process open, and a failed run must exit non-zero for the caller to see it).
 */

/** A number with exactly `digits` decimals and thousands separators (1,234.5). */
export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Kilobytes as megabytes with one decimal. */
export const mb = (kb: number): string => (kb / 1024).toFixed(1);

/** Runs the script's `main`: exit 0 when it resolves, print the error and exit 1 when it rejects. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

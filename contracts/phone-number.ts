/** A number as SIP carries it: E.164, a plus and 7 to 15 digits, the first not 0. */
export const E164_NUMBER = /^\+[1-9]\d{6,14}$/;

/** A number fit for a log: all but its last four digits masked. */
export function redactNumber(number: string | undefined): string | undefined {
  if (!number) return undefined;
  return number.length > 4 ? `${'*'.repeat(number.length - 4)}${number.slice(-4)}` : '****';
}

/**
 * BPE merging is quadratic in the length of one pre-token piece, and a piece is a run of letters,
 * symbols or whitespace with no break: CJK text, emoji, a pasted blob. gpt-tokenizer takes ~3 s for
 * 16k emoji in one piece, so a 1 MB body of them would hold a Lambda for minutes of CPU (and its
 * `encode` overflows the stack on one huge piece). Runs longer than BPE_WINDOW code units are
 * therefore counted window by window, in linear time. A cut can change how the tokens next to it
 * merge, either way, so each cut adds one token: the count stays on the safe side for reservations
 * and context checks (a few tokens more per 256 characters of such a run). Text without such runs
 * is counted in one call, exactly.
 */
export const BPE_WINDOW = 256;

const LONG_RUN = new RegExp(`\\S{${BPE_WINDOW},}|\\s{${BPE_WINDOW},}`, 'g');

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * `count` applied to `text`, with runs over BPE_WINDOW code units cut into windows (never inside a
 * surrogate pair), plus one token per cut.
 */
export function countByWindows(text: string, count: (piece: string) => number): number {
  if (text.length < BPE_WINDOW) return count(text);
  let total = 0;
  let pieces = 0;
  const add = (piece: string) => {
    total += count(piece);
    pieces++;
  };
  let from = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    const start = m.index;
    const end = start + m[0].length;
    if (start > from) add(text.slice(from, start));
    for (let at = start; at < end; ) {
      let to = Math.min(at + BPE_WINDOW, end);
      if (to < end && isHighSurrogate(text.charCodeAt(to - 1))) to++;
      add(text.slice(at, to));
      at = to;
    }
    from = end;
  }
  if (from < text.length) add(text.slice(from));
  return total + Math.max(0, pieces - 1);
}

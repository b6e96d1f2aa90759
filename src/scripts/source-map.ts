// Maps positions in transpiled TypeScript back to the script author's source,
// so a SCRIPT_ERROR names the line the engineer wrote, not the one TS emitted
// (TS re-indents and drops type-only lines). Only what stack lines need: a
// decoder for source map v3 `mappings` and a position lookup.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Map([...B64].map((c, i) => [c, i]));

/** One mapped segment: generated column → original line/column (all 0-based). */
interface Segment {
  readonly genCol: number;
  readonly line: number;
  readonly col: number;
}

export interface Position {
  /** 1-based, like a stack trace. */
  readonly line: number;
  readonly column: number;
}

export type PositionMapper = (generated: Position) => Position | undefined;

function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64_VALUE.get(ch);
    if (digit === undefined) throw new Error(`invalid source map character ${ch}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let line = 0;
  let col = 0;
  for (const genLine of mappings.split(';')) {
    const segments: Segment[] = [];
    let genCol = 0;
    for (const raw of genLine.split(',')) {
      if (raw === '') continue;
      const f = decodeVlq(raw);
      genCol += f[0] ?? 0;
      // Fields 1..3 (source, line, column) are relative to the previous segment.
      if (f.length >= 4) {
        line += f[2]!;
        col += f[3]!;
        segments.push({ genCol, line, col });
      }
    }
    lines.push(segments);
  }
  return lines;
}

/**
 * Builds a lookup from a source map's JSON text. `lineShift` is subtracted from
 * original lines (the wrapper line the compiler put above the author's code).
 */
export function positionMapper(sourceMapJson: string, lineShift: number): PositionMapper {
  const { mappings } = JSON.parse(sourceMapJson) as { mappings: string };
  const lines = decodeMappings(mappings);
  return (generated) => {
    const segments = lines[generated.line - 1];
    if (segments === undefined || segments.length === 0) return undefined;
    const col0 = generated.column - 1;
    let best = segments[0]!;
    for (const s of segments) {
      if (s.genCol > col0) break;
      best = s;
    }
    const line = best.line + 1 - lineShift;
    return line >= 1 ? { line, column: best.col + 1 } : undefined;
  };
}

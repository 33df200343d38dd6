// The terminal report of `candor reproduce`: one line per tensor (with how far a differing one
// moved), the verdict, the worst tensor and whether it is rounding noise, then the inputs that
// differ, most important first, and what that means for the mismatch.

import type { ReproduceReport } from './reproduce.js';
import {
  formatDifference,
  isRounding,
  ROUNDING_ULP,
  type TensorDifference,
} from './tensor-diff.js';

const SEVERITY_WIDTH = 'significant'.length;

function measured(d: ReproduceReport['tensors'][number]['difference']): d is TensorDifference {
  return d !== undefined && !('unmeasured' in d);
}

/** What the differing tensors' sizes say, and why the tensors differ given the inputs. */
function mismatchLines(report: ReproduceReport): string[] {
  const lines: string[] = [];
  const moved = report.tensors.map((t) => ({ t, d: t.difference })).filter((x) => measured(x.d));
  if (moved.length > 0) {
    const worst = moved.reduce((a, b) =>
      (b.d as TensorDifference).relative > (a.d as TensorDifference).relative ? b : a,
    );
    lines.push(
      `worst: ${worst.t.file}:${worst.t.tensor}, ${formatDifference(worst.d as TensorDifference)}`,
    );
    lines.push(
      moved.every((x) => isRounding(x.d as TensorDifference))
        ? `every measured tensor is within ${ROUNDING_ULP} ulp: floating-point rounding, not another edit`
        : `values moved by more than ${ROUNDING_ULP} ulp: a real difference, not rounding noise`,
    );
  }
  const severities = new Set(report.differences.map((d) => d.severity));
  if (severities.has('blocking')) {
    lines.push('cause: the blocking differences below; with them the tensors cannot match');
  } else if (severities.has('significant')) {
    lines.push('likely cause: the significant differences below');
  } else {
    lines.push(
      'no input of the bake differs, so the bytes should have matched: please report it with this reproduce.json and the lines above',
    );
  }
  return lines;
}

export function formatReproduceReport(report: ReproduceReport): string[] {
  const lines = report.tensors.map((t) => {
    if (t.identical) return `identical  ${t.file}:${t.tensor}`;
    const d = t.difference;
    const how =
      d === undefined ? '' : measured(d) ? formatDifference(d) : `not measured: ${d.unmeasured}`;
    return `DIFFERENT  ${t.file}:${t.tensor}${how ? `  ${how}` : ''}`;
  });
  const different = report.tensors.filter((t) => !t.identical).length;
  if (report.identical) {
    lines.push(`all ${report.tensors.length} tensors identical`);
  } else {
    lines.push(`${different} of ${report.tensors.length} tensors differ`);
    lines.push(...mismatchLines(report));
  }
  if (report.differences.length > 0) {
    lines.push(
      report.identical
        ? 'inputs that differ (they did not change the bytes):'
        : 'inputs that differ, most important first:',
    );
    for (const d of report.differences) {
      lines.push(`  ${d.severity.padEnd(SEVERITY_WIDTH)}  ${d.item}: ${d.detail}; ${d.effect}`);
    }
  }
  for (const u of report.unchecked) lines.push(`not checked: ${u}`);
  return lines;
}

// The models offered as a comparison beside a primary one: its twin (plain or residual), its
// other shortcut options, then the paper's nets of the same family.
import type { ModelChoice } from '../../protocol/architecture';
import { listModels, NetworkSpec, requestFromSpec, ShortcutOption, specFromName, withShortcut } from '../../core/spec';

const OPTION_NOTES: Record<ShortcutOption, string> = {
  A: 'zero-padded identity shortcuts',
  B: 'projections where dimensions change',
  C: 'projections everywhere',
};

export function compareChoices(primary: NetworkSpec): ModelChoice[] {
  const seen = new Set<string>([keyOfSpec(primary)]);
  const choices: ModelChoice[] = [];
  const add = (spec: NetworkSpec, description: string) => {
    const key = keyOfSpec(spec);
    if (seen.has(key)) return;
    seen.add(key);
    choices.push({ label: spec.title, description, request: requestFromSpec(spec) });
  };
  if (primary.residual) {
    add(withShortcut(primary, false), 'the plain twin: the same stack without shortcuts');
    for (const option of ['A', 'B', 'C'] as const) add(withShortcut(primary, true, option), `option ${option}: ${OPTION_NOTES[option]}`);
  } else {
    add(withShortcut(primary, true), 'the residual twin: the same stack with shortcuts');
  }
  for (const entry of listModels()) {
    if (primary.family !== 'custom' && entry.family !== primary.family) continue;
    add(specFromName(entry.name), entry.description);
  }
  return choices;
}

/** One key per distinct network: the canonical request that rebuilds it. */
export function keyOfSpec(spec: NetworkSpec): string {
  return JSON.stringify(requestFromSpec(spec));
}

// Which stages start collapsed, in the diagram and the table alike, so ResNet-1202 stays fluid.
import type { NetworkGraph } from '../../core/graph';

/** Stages with more blocks than this start collapsed (ResNet-1202 has 200 per stage). */
const COLLAPSE_BLOCKS_ABOVE = 24;

export function stagesCollapsedByDefault(graph: NetworkGraph): Set<string> {
  return new Set(graph.stages.filter((s) => s.blockIds.length > COLLAPSE_BLOCKS_ABOVE).map((s) => s.id));
}

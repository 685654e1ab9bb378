// A model's full description for views and the CLI: its spec, graph and costs together.
import { computeCosts, NetworkCosts } from './costs';
import { buildGraph, NetworkGraph } from './graph';
import { ModelRequest, NetworkSpec, requestFromSpec, specFromRequest } from './spec';

export interface ModelReport {
  request: ModelRequest;
  graph: NetworkGraph;
  costs: NetworkCosts;
}

export function reportForSpec(spec: NetworkSpec): ModelReport {
  const graph = buildGraph(spec);
  return { request: requestFromSpec(spec), graph, costs: computeCosts(graph) };
}

export function reportForRequest(request: ModelRequest): ModelReport {
  return reportForSpec(specFromRequest(request));
}

// The Models view of the ResNet Lab activity bar container: the paper's nets by family
// (ImageNet and CIFAR-10, residual and plain); a click opens Show Architecture for one.
import * as vscode from 'vscode';
import { listModels, ModelEntry, specFromName } from '../../core/spec';

export const MODELS_VIEW_ID = 'resnetLab.models';

interface FamilyNode {
  kind: 'family';
  label: string;
  detail: string;
  models: ModelEntry[];
}

interface ModelNode {
  kind: 'model';
  entry: ModelEntry;
}

export type ModelsViewNode = FamilyNode | ModelNode;

/** The four families, residual before plain, as the paper presents them. */
export function modelFamilies(): FamilyNode[] {
  const entries = listModels().map((entry) => ({ entry, residual: specFromName(entry.name).residual }));
  const family = (label: string, detail: string, dataset: ModelEntry['family'], residual: boolean): FamilyNode => ({
    kind: 'family',
    label,
    detail,
    models: entries.filter((e) => e.entry.family === dataset && e.residual === residual).map((e) => e.entry),
  });
  return [
    family('ImageNet · ResNet', 'Table 1: basic blocks (18, 34) and bottlenecks (50, 101, 152)', 'imagenet', true),
    family('ImageNet · plain', 'the same stacks without shortcuts', 'imagenet', false),
    family('CIFAR-10 · ResNet', 'section 4.2: 6n+2 layers, option A shortcuts', 'cifar', true),
    family('CIFAR-10 · plain', 'the same stacks without shortcuts (Fig. 6, left)', 'cifar', false),
  ];
}

export class ModelsView implements vscode.TreeDataProvider<ModelsViewNode> {
  private readonly families = modelFamilies();

  getChildren(node?: ModelsViewNode): ModelsViewNode[] {
    if (!node) return this.families;
    if (node.kind === 'family') return node.models.map((entry) => ({ kind: 'model', entry }));
    return [];
  }

  getTreeItem(node: ModelsViewNode): vscode.TreeItem {
    if (node.kind === 'family') {
      const item = new vscode.TreeItem(node.label, node.label.startsWith('CIFAR-10 · ResNet') ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `family:${node.label}`;
      item.description = node.detail;
      item.tooltip = `${node.label}: ${node.detail}`;
      item.contextValue = 'resnetLab.family';
      return item;
    }
    const { entry } = node;
    const item = new vscode.TreeItem(entry.title, vscode.TreeItemCollapsibleState.None);
    item.id = `model:${entry.name}`;
    item.description = entry.name;
    item.tooltip = `${entry.title} (${entry.name}): ${entry.description}. Click to show its architecture.`;
    item.iconPath = new vscode.ThemeIcon('type-hierarchy');
    item.contextValue = 'resnetLab.model';
    item.command = { command: 'resnetLab.showArchitecture', title: 'Show Architecture', arguments: [entry.name] };
    return item;
  }
}

/**
 * The step graph: cycle detection, topological order and downstream sets.
 *
 * @module
 */

/** A node of the step graph. */
export interface GraphNode {
  id: string;
  needs: readonly string[];
}

/** Returns one dependency cycle as a list of ids (first repeated last), or undefined when there is none. */
export function findCycle(nodes: readonly GraphNode[]): string[] | undefined {
  const needs = new Map(nodes.map((n) => [n.id, n.needs]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const need of needs.get(id) ?? []) {
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const node of nodes) {
    const cycle = visit(node.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The ids in an order where every node comes after the nodes it needs (ties keep file order). */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < nodes.length) {
    const next = nodes.find((n) => !done.has(n.id) && n.needs.every((need) => done.has(need)));
    if (!next) throw new Error("topologicalOrder: the graph has a cycle");
    done.add(next.id);
    order.push(next.id);
  }
  return order;
}

/** The node `from` and every node that depends on it, directly or not. */
export function downstream(nodes: readonly GraphNode[], from: string): Set<string> {
  const result = new Set([from]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const node of nodes) {
      if (!result.has(node.id) && node.needs.some((need) => result.has(need))) {
        result.add(node.id);
        grew = true;
      }
    }
  }
  return result;
}

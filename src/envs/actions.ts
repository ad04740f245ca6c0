// The joint action at the door of step(): one integer per agent, each in
// range. A wrong action would otherwise index past a payoff table or move an
// agent nowhere without a word.

export function checkActions(env: string, actions: ArrayLike<number>, nAgents: number, nActions: number): void {
  if (actions === null || typeof actions !== "object" || actions.length !== nAgents) {
    const got = actions === null || typeof actions !== "object" ? String(actions) : `${actions.length} actions`;
    throw new Error(`${env}.step: expected ${nAgents} actions (one per agent), got ${got}`);
  }
  for (let i = 0; i < nAgents; i++) {
    const a = actions[i]!;
    if (!Number.isInteger(a) || a < 0 || a >= nActions) {
      throw new Error(`${env}.step: agent ${i}'s action must be an integer in [0, ${nActions - 1}], got ${a}`);
    }
  }
}

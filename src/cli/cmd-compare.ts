export const compareCommand = { spec: { name: 'compare', positionals: [], summary: 'x', flags: [], examples: [] }, run: async () => 0 };

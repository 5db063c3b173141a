export const drawCommand = { spec: { name: 'draw', positionals: [], summary: 'x', flags: [], examples: [] }, run: async () => 0 };

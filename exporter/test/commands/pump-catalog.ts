/**
 * The command most suites send, the exporter's unit tests and the cross-component suites alike: a
 * pump's `setSpeed`, its `rpm` (0–1500) setting `speed`, low risk, simulated as set. Suites that
 * need more (a step limit, another risk) spread over it.
 */
export const pumpSetSpeed = {
  risk: 'low',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['rpm'],
    properties: { rpm: { type: 'number' } },
  },
  sets: { property: 'speed', param: 'rpm' },
  envelope: { min: 0, max: 1500 },
};

/** A catalog (config document form) with that one command. */
export const pumpCatalog = { pump: { setSpeed: pumpSetSpeed } };

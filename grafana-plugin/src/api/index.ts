export * from './types';
export * from './client';
export * from './context';
export * from './slo';

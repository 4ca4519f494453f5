#!/usr/bin/env node
// The exporter is TypeScript run through tsx: register its loader, then start the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');

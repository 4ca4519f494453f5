import { startExporterProcess } from '../support/exporter-process.js';
import { truthSuite } from './truth.js';

truthSuite('truth: the exporter’s SLIs match the simulator’s ground truth', startExporterProcess);

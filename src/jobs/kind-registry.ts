/**
 * Every job kind of the product, by name. Each feature adds its line; the modules themselves
 * load only when a job of that kind runs.
 */
import { registerJobKind } from './kinds.js';

void registerJobKind;

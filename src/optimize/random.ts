// Kept only for importers that have not moved yet (engine/engine.ts, bench/tpe*.ts): the
// generator lives in util/random.ts, shared by every stage.
export { Rng } from '../util/random.js';

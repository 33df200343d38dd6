import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataFilesForSplit, splitsOffered } from '../../src/hub/dataset-files.js';

const pushToHubLayout = [
  '.gitattributes',
  'README.md',
  'data/test-00000-of-00001.parquet',
  'data/train-00000-of-00002.parquet',
  'data/train-00001-of-00002.parquet',
];

test('push_to_hub layout: data/<split>-NNNNN-of-NNNNN.parquet, in shard order', () => {
  assert.deepEqual(dataFilesForSplit(pushToHubLayout, 'train'), [
    'data/train-00000-of-00002.parquet',
    'data/train-00001-of-00002.parquet',
  ]);
  assert.deepEqual(dataFilesForSplit(pushToHubLayout, 'test'), [
    'data/test-00000-of-00001.parquet',
  ]);
  assert.deepEqual(splitsOffered(pushToHubLayout), ['train', 'test']);
});

test('split names as whole name parts, folders, and synonyms', () => {
  const paths = ['train.csv', 'dev.jsonl', 'eval/part-0.jsonl', 'contest.csv', 'LICENSE.txt'];
  assert.deepEqual(dataFilesForSplit(paths, 'train'), ['train.csv']);
  assert.deepEqual(dataFilesForSplit(paths, 'validation'), ['dev.jsonl']);
  // "eval" is a synonym of test; "contest" merely contains the letters
  assert.deepEqual(dataFilesForSplit(paths, 'test'), ['eval/part-0.jsonl']);
  assert.deepEqual(dataFilesForSplit(paths, 'harmful'), []);
});

test('files that name no split are one train split', () => {
  const paths = ['harmful_behaviors.csv', 'README.md', 'LICENSE.txt'];
  assert.deepEqual(dataFilesForSplit(paths, 'train'), ['harmful_behaviors.csv']);
  assert.deepEqual(dataFilesForSplit(paths, 'test'), []);
  assert.deepEqual(splitsOffered(paths), ['train']);
});

import { describe, expect, it } from '@jest/globals';
import { statusForRelationError } from '../../lib/relations/error-status.js';
import {
  HookToolError,
  InterfaceSchemaError,
  RelationDataAccessError,
  RelationDataValidationError,
} from '../../lib/relations/errors.js';
import { blocked, error } from '../../lib/relations/status.js';

describe('statusForRelationError', () => {
  it('blocks on invalid relation data, naming the relation and every field', () => {
    const failure = new RelationDataValidationError('remote app bag of "store" on storage:3', [
      { field: 'mount-path', reason: 'must match pattern "^/"' },
      { field: 'puid', reason: 'must be an integer-as-string' },
    ]);
    expect(statusForRelationError(failure, 'storage:3')).toEqual(
      blocked(
        'storage:3: invalid relation data: remote app bag of "store" on storage:3: ' +
          'mount-path: must match pattern "^/" ; puid: must be an integer-as-string',
      ),
    );
  });

  it('reports hook-tool failures and access bugs as errors, schema bugs as blocked', () => {
    expect(
      statusForRelationError(
        new HookToolError('is-leader failed with exit code 1', ['is-leader'], 1, ''),
      ),
    ).toEqual(error('is-leader failed with exit code 1'));
    expect(statusForRelationError(new RelationDataAccessError('not leader'), 'db:1')).toEqual(
      error('db:1: not leader'),
    );
    expect(statusForRelationError(new InterfaceSchemaError('no schema'))).toEqual(
      blocked('charm bug: no schema'),
    );
  });

  it('never turns an unknown failure into silence', () => {
    expect(statusForRelationError(new TypeError('x is undefined'))).toEqual(
      error('x is undefined'),
    );
    expect(statusForRelationError('a string was thrown')).toEqual(error('a string was thrown'));
  });
});

// Classification of failures that the local servers cannot easily be made to
// produce (a server shutting down, a lost connection mid-query). Each input is
// shaped exactly as the driver raises it; the real-server cases are in the
// per-driver tests.
import { describe, expect, it } from 'vitest';
import { SqlErrorCode, classifySqlError } from '../../../src/integrations/sql/index.js';
import { toJsonValue } from '../../../src/integrations/sql/values.js';

function withProps(message: string, props: Record<string, unknown>): Error {
  return Object.assign(new Error(message), props);
}

describe('classifySqlError', () => {
  const cases: [string, unknown, 'postgres' | 'mysql' | 'sqlite', string, 'transient' | 'permanent'][] = [
    ['pg admin shutdown', withProps('terminating connection due to administrator command', { code: '57P01' }), 'postgres', SqlErrorCode.Unavailable, 'transient'],
    ['pg crash shutdown', withProps('the database system is in recovery mode', { code: '57P02' }), 'postgres', SqlErrorCode.Unavailable, 'transient'],
    ['pg starting up', withProps('the database system is starting up', { code: '57P03' }), 'postgres', SqlErrorCode.Unavailable, 'transient'],
    ['pg connection class', withProps('connection failure', { code: '08006' }), 'postgres', SqlErrorCode.Connection, 'transient'],
    ['pg too many connections', withProps('sorry, too many clients already', { code: '53300' }), 'postgres', SqlErrorCode.Unavailable, 'transient'],
    ['pg lock timeout', withProps('canceling statement due to lock timeout', { code: '55P03' }), 'postgres', SqlErrorCode.LockTimeout, 'transient'],
    ['pg foreign key', withProps('violates foreign key constraint', { code: '23503' }), 'postgres', SqlErrorCode.Constraint, 'permanent'],
    ['pg unknown sqlstate', withProps('something new', { code: 'XX000' }), 'postgres', SqlErrorCode.Error, 'permanent'],
    ['pg lost connection', new Error('Connection terminated unexpectedly'), 'postgres', SqlErrorCode.Connection, 'transient'],
    ['pg pool connect timeout', new Error('timeout exceeded when trying to connect'), 'postgres', SqlErrorCode.Connection, 'transient'],
    ['pg read timeout', new Error('Query read timeout'), 'postgres', SqlErrorCode.Timeout, 'transient'],
    ['socket reset', withProps('read ECONNRESET', { code: 'ECONNRESET', errno: -104 }), 'mysql', SqlErrorCode.Connection, 'transient'],
    ['DNS failure', withProps('getaddrinfo ENOTFOUND db', { code: 'ENOTFOUND' }), 'postgres', SqlErrorCode.Connection, 'transient'],
    ['mysql lost', withProps('Connection lost: The server closed the connection.', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }), 'mysql', SqlErrorCode.Connection, 'transient'],
    ['mysql gone away', withProps('MySQL server has gone away', { code: 'CR_SERVER_GONE_ERROR', errno: 2006 }), 'mysql', SqlErrorCode.Connection, 'transient'],
    ['mysql lost during query', withProps('Lost connection', { code: 'CR_SERVER_LOST', errno: 2013 }), 'mysql', SqlErrorCode.Connection, 'transient'],
    ['mysql shutdown', withProps('Server shutdown in progress', { code: 'ER_SERVER_SHUTDOWN', errno: 1053 }), 'mysql', SqlErrorCode.Unavailable, 'transient'],
    ['mysql query timeout', withProps('Query inactivity timeout', { code: 'PROTOCOL_SEQUENCE_TIMEOUT' }), 'mysql', SqlErrorCode.Timeout, 'transient'],
    ['mysql fk', withProps('Cannot add or update a child row', { code: 'ER_NO_REFERENCED_ROW_2', errno: 1452 }), 'mysql', SqlErrorCode.Constraint, 'permanent'],
    ['mysql unknown errno', withProps('odd', { code: 'ER_ODD', errno: 9999 }), 'mysql', SqlErrorCode.Error, 'permanent'],
    ['sqlite locked', withProps('database table is locked', { code: 'SQLITE_LOCKED' }), 'sqlite', SqlErrorCode.Busy, 'transient'],
    ['sqlite busy snapshot', withProps('database is locked', { code: 'SQLITE_BUSY_SNAPSHOT' }), 'sqlite', SqlErrorCode.Busy, 'transient'],
    ['not an Error at all', 'boom', 'postgres', SqlErrorCode.Error, 'permanent'],
  ];
  for (const [what, err, driver, code, classification] of cases) {
    it(`${what} → ${classification} ${code}`, () => {
      const e = classifySqlError(err, driver);
      expect(e.code).toBe(code);
      expect(e.classification).toBe(classification);
    });
  }

  it('describes a multi-address connect failure from its parts', () => {
    const agg = Object.assign(
      new AggregateError([withProps('connect ECONNREFUSED ::1:5432', { code: 'ECONNREFUSED' })], ''),
      {},
    );
    const e = classifySqlError(agg, 'postgres');
    expect(e.code).toBe(SqlErrorCode.Connection);
    expect(e.message).toContain('ECONNREFUSED ::1:5432');
  });

  it('scrubs configured secrets from driver text and keeps driver codes in details', () => {
    const e = classifySqlError(
      withProps("Access denied for 'u' using 'hunter22'", { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, sqlState: '28000' }),
      'mysql',
      { connection: 'erp', secrets: ['hunter22', undefined] },
    );
    expect(e.code).toBe(SqlErrorCode.Auth);
    expect(e.message).toBe('database "erp": mysql ER_ACCESS_DENIED_ERROR (1045): Access denied for \'u\' using \'***\'');
    expect(e.details).toEqual({ connection: 'erp', driver: 'mysql', driverCode: 'ER_ACCESS_DENIED_ERROR', errno: 1045, sqlState: '28000' });
  });
});

describe('toJsonValue', () => {
  it('makes driver values plain JSON', () => {
    expect(toJsonValue(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05.000Z');
    expect(toJsonValue(new Date(Number.NaN))).toBeNull();
    expect(toJsonValue(Buffer.from('hi'))).toBe('aGk=');
    expect(toJsonValue(new Uint8Array([255]))).toBe('/w==');
    expect(toJsonValue(12n)).toBe(12);
    expect(toJsonValue(2n ** 63n - 1n)).toBe('9223372036854775807');
    expect(toJsonValue(-(2n ** 60n))).toBe('-1152921504606846976');
    expect(toJsonValue(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(toJsonValue(undefined)).toBeNull();
    expect(toJsonValue({ at: new Date(0), list: [1n, Buffer.from([0])], nested: { ok: true } })).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      list: [1, 'AA=='],
      nested: { ok: true },
    });
  });
});

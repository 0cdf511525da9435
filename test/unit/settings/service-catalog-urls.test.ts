/**
 * A service's address in the catalog the functions read (SERVICE_CATALOG): https, unless the local stack
 * or a test says that plain http on this machine is fine (OUTBOUND_ALLOW_LOOPBACK).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { baseUrlRefusal, resolveServiceCatalog, serviceCatalog } from '#shared/catalog/service-catalog';
import { stubSettings } from '#test/support/settings';

const service = (baseUrl: string) => ({
  id: 'michigan',
  name: 'Michigan',
  baseUrl,
  appId: 'imputationserver2',
  location: 'USA',
  notes: '',
  maxConcurrentJobs: 2,
  enabled: true,
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the base URL of a service', () => {
  it('is https in a deployment (OUTBOUND_ALLOW_LOOPBACK off): plain http is a configuration error', () => {
    stubSettings({ SERVICE_CATALOG: [service('http://127.0.0.1:8080')], OUTBOUND_ALLOW_LOOPBACK: false });
    expect(() => serviceCatalog()).toThrow(
      'Invalid configuration: SERVICE_CATALOG: michigan: baseUrl must be an https:// URL, not http://127.0.0.1:8080',
    );
    stubSettings({
      SERVICE_CATALOG: [service('https://imputation.example.org')],
      OUTBOUND_ALLOW_LOOPBACK: false,
    });
    expect(serviceCatalog()[0]?.baseUrl).toBe('https://imputation.example.org');
  });

  it('may be plain http on this machine only, when the local stack or a test allows it', () => {
    stubSettings({ SERVICE_CATALOG: [service('http://127.0.0.1:8080')], OUTBOUND_ALLOW_LOOPBACK: true });
    expect(serviceCatalog()[0]?.baseUrl).toBe('http://127.0.0.1:8080');
    for (const url of ['http://localhost:1', 'http://127.0.0.1', 'http://[::1]:80']) {
      expect(baseUrlRefusal(url, true), url).toBeUndefined();
    }
    for (const url of ['http://10.0.0.1', 'http://imputation.example.org', 'http://192.168.1.1:8080']) {
      expect(baseUrlRefusal(url, true), url).toMatch(/must be an https:\/\/ URL/);
    }
  });

  it('resolving the catalog from overrides refuses plain http unless asked to allow loopback', () => {
    const overrides = { michigan: { baseUrl: 'http://127.0.0.1:9000' } };
    expect(() => resolveServiceCatalog(overrides)).toThrow(/"michigan" is invalid: baseUrl must be an https/);
    expect(resolveServiceCatalog(overrides, { allowLoopback: true })[0]?.baseUrl).toBe(
      'http://127.0.0.1:9000',
    );
  });
});

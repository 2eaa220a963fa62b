// The audit page shows an update's old → new values in plain words, in both languages.
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../audit/audit.js';
import { detailsSummary } from './admin-audit.views.js';

const event = (details: Record<string, unknown>): AuditEvent => ({
  id: '00000000-0000-7000-8000-000000000009',
  at: '2026-01-01T09:00:00.000Z',
  action: 'person.updated',
  actor: { id: null, label: 'cli' },
  personId: '00000000-0000-7000-8000-000000000002',
  details,
  ip: null,
  areaId: null,
});

describe('an update’s details on the audit page', () => {
  const updated = event({
    changed: ['role', 'email'],
    role: { from: 'member', to: 'admin' },
    email: { from: null, to: '<b>x@example.com' },
    source: 'import',
  });

  it('reads old → new, role names translated, missing values as a dash, text escaped', () => {
    const en = detailsSummary('en', updated).toString();
    expect(en).toContain('role:</span> Member → Admin');
    expect(en).toContain('email:</span> – → &lt;b&gt;x@example.com');
    expect(en).toContain('through:</span> CSV import');
    const sv = detailsSummary('sv', updated).toString();
    expect(sv).toContain('roll:</span> Medlem → Administratör');
    expect(sv).toContain('e-post:</span> – → &lt;b&gt;x@example.com');
    expect(sv).toContain('genom:</span> CSV-import');
  });
});

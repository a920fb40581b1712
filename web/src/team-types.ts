// Shapes of the team-work API (functions/api/team.ts) as the dashboard reads them.
export interface PersonRef {
  readonly email: string;
  readonly name: string;
}

export interface BookingItem {
  readonly bookingId: string;
  readonly patientId: string;
  readonly caseRef: string;
  readonly rev: number;
  readonly kind: string;
  readonly visit?: string;
  readonly status: string;
  readonly startsAt: string | null;
  readonly startsAtLocal: string | null;
  readonly site: string | null;
  readonly place: { kind: string; label: string } | null;
  readonly overdue: boolean;
  readonly bookedBy: PersonRef | null;
}

export interface NoteItem {
  readonly noteId: string;
  readonly rev: number;
  readonly text: string;
  readonly author: { email: string; role: string };
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly sharedWithReferrer: boolean;
  readonly editable: boolean;
  readonly editableUntil: string;
}

export interface CaseWork {
  readonly patientId: string;
  readonly caseRef: string;
  readonly stage: string;
  readonly status: string;
  readonly timeZone: string;
  readonly noteEditMinutes: number;
  readonly owner: (PersonRef & { since: string }) | null;
  readonly assignee: (PersonRef & { stage: string; since: string }) | null;
  readonly followUp: { on: string; reason?: string; setBy: string } | null;
  readonly pendingDecisionId: string | null;
  readonly candidates: readonly PersonRef[];
  readonly bookings: readonly BookingItem[];
  readonly notes: readonly NoteItem[];
  readonly information: readonly { infoId: string; text: string; attachments: { name: string; text: string }[]; from: string; receivedAt: string }[];
}

export interface WorkRow {
  readonly patientId: string;
  readonly caseRef: string;
  readonly stage: string;
  readonly status: string;
  readonly site: string;
  readonly dueAt: string | null;
  readonly overdue: boolean;
  readonly awaiting: string | null;
  readonly owner: PersonRef | null;
  readonly assignee: PersonRef | null;
  readonly followUpOn: string | null;
}

export interface MyWork {
  readonly me: { email: string; name: string; role: string; team: string | null; site: string | null };
  readonly today: string;
  readonly timeZone: string;
  readonly owned: readonly WorkRow[];
  readonly assigned: readonly WorkRow[];
  readonly followUpsDue: readonly WorkRow[];
  readonly teamUnassigned: readonly WorkRow[];
}

export interface DirectoryMember {
  readonly email: string;
  readonly name: string;
  readonly role: 'coordinator' | 'physician';
  readonly team: string | null;
  readonly site: string | null;
}

export interface ReferredPatient {
  readonly patientId: string;
  readonly caseRef: string;
  readonly referralId: string;
  readonly site: string;
  readonly stage: string;
  readonly status: string;
  readonly referredAt: string;
  readonly nextStep: string;
  readonly informationRequest: { askedAt: string; asked: string | null; answeredAt: string | null } | null;
  readonly nextBooking?: { kind: string; startsAt: string; startsAtLocal: string; site: string | null } | null;
}

export interface ReferredPatientDetail extends ReferredPatient {
  readonly patient: { givenName: string; familyName: string; birthDate: string };
  readonly bookings: readonly { kind: string; visit?: string; status: string; startsAt: string | null; startsAtLocal: string | null; site: string | null }[];
  readonly sharedNotes: readonly { noteId: string; text: string; createdAt: string }[];
  readonly informationSent: readonly { infoId: string; receivedAt: string; attachments: string[] }[];
  readonly timeZone: string;
}

export interface SavedFilterItem {
  readonly filterId: string;
  readonly name: string;
  readonly view: string;
  readonly query: Record<string, string>;
}

export interface BulkResult {
  readonly action: string;
  readonly succeeded: number;
  readonly failed: number;
  readonly results: readonly { patientId: string; ok: boolean; status: number; code?: string; message?: string }[];
}

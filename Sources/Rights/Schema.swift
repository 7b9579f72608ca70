import Storage

/// The Rights module's tables. Register `RightsSchema.migrations` with the `MigrationRegistry`.
///
/// KBO tables (`organisation`, `establishment`, `kbo_*`) are owned by the importer; local data
/// (persons, mandates, appointments, werkrelaties, grants, approvals, federal assignments,
/// invitations, audit) references organisations by number without foreign keys, so a KBO
/// re-import never deletes or cascades into local data (§13.4).
public enum RightsSchema {
    public static let migrations: [StorageMigration] = [
        StorageMigration("rights.v1") { db in
            for statement in v1 { try db.executeScript(statement) }
        },
        StorageMigration("rights.v2") { db in
            for statement in v2 { try db.executeScript(statement) }
        },
        StorageMigration("rights.v3") { db in
            // An application's accepted keys (issue 19): NULL accepts every key reaching its minimum level.
            try db.executeScript("ALTER TABLE application ADD COLUMN accepted_keys TEXT")
        },
    ]

    /// Covering indexes for resolution (Benchmarks/rights.md): every lookup of the one
    /// resolution statement is answered from an index, without a second seek into the table.
    static let v2: [String] = [
        "CREATE INDEX organisation_state ON organisation(kbo, active, cascade_on_appointer_loss)",
        "CREATE INDEX right_definition_state ON right_definition(application, code, active, context_kind, requires_owner_approval)",
        "CREATE INDEX right_context_value_state ON right_context_value(application, right_code, value, active)",
        "CREATE INDEX establishment_state ON establishment(number, enterprise, active)",
        "DROP INDEX work_relation_person",
        "CREATE INDEX work_relation_person ON work_relation(person_id, organisation, valid_from, valid_until, revoked_at)",
        "DROP INDEX legal_representative_person",
        "CREATE INDEX legal_representative_person ON legal_representative(person_id, organisation, valid_from, valid_until)",
        "DROP INDEX kbo_denomination_entity",
        KBOImportIndexes.denomination,
    ]

    static let v1: [String] = [
        """
        CREATE TABLE person (
          id INTEGER PRIMARY KEY,
          insz TEXT NOT NULL UNIQUE CHECK (length(insz) = 11),
          given_name TEXT, family_name TEXT,
          created_at TEXT NOT NULL)
        """,
        """
        CREATE TABLE organisation (
          kbo TEXT PRIMARY KEY CHECK (length(kbo) = 10),
          status TEXT, juridical_situation TEXT, type_of_enterprise TEXT,
          juridical_form TEXT, juridical_form_cac TEXT, start_date TEXT,
          imported_from_extract INTEGER, last_seen_extract INTEGER,
          active INTEGER NOT NULL DEFAULT 1,
          cascade_on_appointer_loss INTEGER NOT NULL DEFAULT 0)
        """,
        """
        CREATE TABLE establishment (
          number TEXT PRIMARY KEY, enterprise TEXT NOT NULL, start_date TEXT,
          last_seen_extract INTEGER, active INTEGER NOT NULL DEFAULT 1)
        """,
        "CREATE INDEX establishment_enterprise ON establishment(enterprise)",
        "CREATE TABLE kbo_denomination (entity TEXT NOT NULL, language TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL)",
        "CREATE INDEX kbo_denomination_entity ON kbo_denomination(entity)",
        """
        CREATE TABLE kbo_address (entity TEXT NOT NULL, type TEXT NOT NULL, country_nl TEXT, country_fr TEXT,
          zipcode TEXT, municipality_nl TEXT, municipality_fr TEXT, street_nl TEXT, street_fr TEXT,
          house_number TEXT, box TEXT, extra TEXT, date_striking_off TEXT)
        """,
        "CREATE INDEX kbo_address_entity ON kbo_address(entity)",
        "CREATE TABLE kbo_contact (entity TEXT NOT NULL, entity_contact TEXT, contact_type TEXT, value TEXT)",
        "CREATE INDEX kbo_contact_entity ON kbo_contact(entity)",
        "CREATE TABLE kbo_activity (entity TEXT NOT NULL, activity_group TEXT, nace_version TEXT, nace_code TEXT, classification TEXT)",
        "CREATE INDEX kbo_activity_entity ON kbo_activity(entity)",
        "CREATE TABLE kbo_branch (id TEXT PRIMARY KEY, start_date TEXT, enterprise TEXT)",
        """
        CREATE TABLE kbo_code (category TEXT NOT NULL, code TEXT NOT NULL, language TEXT NOT NULL, description TEXT,
          PRIMARY KEY (category, code, language))
        """,
        """
        CREATE TABLE kbo_extract (seq INTEGER PRIMARY KEY, extract_number INTEGER, snapshot_date TEXT,
          extract_timestamp TEXT, extract_type TEXT, version TEXT, imported_at TEXT NOT NULL, rows INTEGER NOT NULL)
        """,
        """
        CREATE TABLE legal_representative (
          id INTEGER PRIMARY KEY,
          person_id INTEGER NOT NULL REFERENCES person(id),
          organisation TEXT NOT NULL,
          function TEXT NOT NULL,
          valid_from TEXT NOT NULL, valid_until TEXT,
          source TEXT NOT NULL, imported_at TEXT NOT NULL,
          CHECK (valid_until IS NULL OR valid_until >= valid_from))
        """,
        "CREATE INDEX legal_representative_person ON legal_representative(person_id)",
        "CREATE UNIQUE INDEX legal_representative_key ON legal_representative(organisation, person_id, function, valid_from)",
        """
        CREATE TABLE appointment (
          id INTEGER PRIMARY KEY,
          person_id INTEGER NOT NULL REFERENCES person(id),
          organisation TEXT NOT NULL,
          role TEXT NOT NULL,
          capacity TEXT,
          valid_from TEXT NOT NULL, valid_until TEXT,
          source TEXT NOT NULL,
          appointed_by INTEGER REFERENCES person(id), appointed_via TEXT,
          created_at TEXT NOT NULL, revoked_at TEXT, revoked_by INTEGER,
          CHECK (valid_until IS NULL OR valid_until >= valid_from))
        """,
        "CREATE INDEX appointment_person ON appointment(person_id)",
        "CREATE INDEX appointment_organisation ON appointment(organisation, role)",
        """
        CREATE TABLE capacity_activation (
          id INTEGER PRIMARY KEY, organisation TEXT NOT NULL, capacity TEXT NOT NULL,
          valid_from TEXT NOT NULL, valid_until TEXT,
          activated_by INTEGER NOT NULL REFERENCES person(id), activated_via TEXT NOT NULL,
          created_at TEXT NOT NULL, revoked_at TEXT, revoked_by INTEGER)
        """,
        "CREATE INDEX capacity_activation_organisation ON capacity_activation(organisation, capacity)",
        """
        CREATE TABLE work_relation (
          id INTEGER PRIMARY KEY,
          person_id INTEGER NOT NULL REFERENCES person(id),
          organisation TEXT NOT NULL,
          target_group TEXT NOT NULL, category TEXT NOT NULL,
          phone TEXT NOT NULL, email TEXT NOT NULL,
          valid_from TEXT NOT NULL, valid_until TEXT NOT NULL,
          reason TEXT,
          created_by INTEGER REFERENCES person(id), created_via TEXT NOT NULL,
          created_at TEXT NOT NULL, revoked_at TEXT, revoked_by INTEGER,
          CHECK (valid_until >= valid_from))
        """,
        "CREATE INDEX work_relation_person ON work_relation(person_id, organisation)",
        "CREATE INDEX work_relation_organisation ON work_relation(organisation)",
        """
        CREATE TABLE application (
          id TEXT PRIMARY KEY, name TEXT NOT NULL,
          minimum_assurance INTEGER NOT NULL DEFAULT 400,
          legal_representative_has_access INTEGER NOT NULL DEFAULT 0,
          base_right TEXT, legal_representative_context TEXT,
          is_rights_administration INTEGER NOT NULL DEFAULT 0)
        """,
        """
        CREATE TABLE application_owner (
          application TEXT NOT NULL REFERENCES application(id),
          person_id INTEGER NOT NULL REFERENCES person(id),
          PRIMARY KEY (application, person_id))
        """,
        """
        CREATE TABLE right_definition (
          application TEXT NOT NULL REFERENCES application(id),
          code TEXT NOT NULL, label TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
          context_kind TEXT NOT NULL CHECK (context_kind IN ('none', 'fixed', 'establishments')),
          requires_owner_approval INTEGER NOT NULL DEFAULT 0,
          active INTEGER NOT NULL DEFAULT 1,
          PRIMARY KEY (application, code))
        """,
        """
        CREATE TABLE right_context_value (
          application TEXT NOT NULL, right_code TEXT NOT NULL, value TEXT NOT NULL,
          active INTEGER NOT NULL DEFAULT 1,
          PRIMARY KEY (application, right_code, value),
          FOREIGN KEY (application, right_code) REFERENCES right_definition(application, code))
        """,
        """
        CREATE TABLE owner_approval (
          id INTEGER PRIMARY KEY,
          application TEXT NOT NULL REFERENCES application(id),
          organisation TEXT NOT NULL,
          valid_from TEXT NOT NULL, valid_until TEXT,
          approved_by INTEGER REFERENCES person(id),
          created_at TEXT NOT NULL, revoked_at TEXT, revoked_by INTEGER,
          CHECK (valid_until IS NULL OR valid_until >= valid_from))
        """,
        "CREATE INDEX owner_approval_key ON owner_approval(application, organisation)",
        """
        CREATE TABLE right_grant (
          id INTEGER PRIMARY KEY,
          person_id INTEGER NOT NULL REFERENCES person(id),
          organisation TEXT NOT NULL,
          application TEXT NOT NULL, right_code TEXT NOT NULL, context TEXT,
          valid_from TEXT NOT NULL, valid_until TEXT NOT NULL,
          work_relation_id INTEGER NOT NULL REFERENCES work_relation(id),
          granted_by INTEGER REFERENCES person(id), granted_via TEXT NOT NULL,
          created_at TEXT NOT NULL, revoked_at TEXT, revoked_by INTEGER, revoke_reason TEXT,
          CHECK (valid_until >= valid_from),
          FOREIGN KEY (application, right_code) REFERENCES right_definition(application, code))
        """,
        "CREATE INDEX right_grant_person ON right_grant(person_id)",
        "CREATE INDEX right_grant_key ON right_grant(organisation, application, right_code, person_id)",
        // E31/E32: at most one unrevoked grant per (person, organisation, right, context) and overlapping period,
        // enforced by the database as well as by the service.
        """
        CREATE TRIGGER right_grant_no_overlap_insert BEFORE INSERT ON right_grant
        WHEN NEW.revoked_at IS NULL AND EXISTS (
          SELECT 1 FROM right_grant g WHERE g.person_id = NEW.person_id AND g.organisation = NEW.organisation
            AND g.application = NEW.application AND g.right_code = NEW.right_code AND g.context IS NEW.context
            AND g.revoked_at IS NULL AND g.valid_from <= NEW.valid_until AND NEW.valid_from <= g.valid_until)
        BEGIN SELECT RAISE(ABORT, 'rights.duplicateGrant'); END
        """,
        """
        CREATE TRIGGER right_grant_no_overlap_update BEFORE UPDATE OF valid_from, valid_until, revoked_at ON right_grant
        WHEN NEW.revoked_at IS NULL AND EXISTS (
          SELECT 1 FROM right_grant g WHERE g.id <> NEW.id AND g.person_id = NEW.person_id
            AND g.organisation = NEW.organisation AND g.application = NEW.application
            AND g.right_code = NEW.right_code AND g.context IS NEW.context
            AND g.revoked_at IS NULL AND g.valid_from <= NEW.valid_until AND NEW.valid_from <= g.valid_until)
        BEGIN SELECT RAISE(ABORT, 'rights.duplicateGrant'); END
        """,
        """
        CREATE TABLE role_assignment (
          id INTEGER PRIMARY KEY,
          person_id INTEGER NOT NULL REFERENCES person(id),
          organisation TEXT NOT NULL,
          context TEXT NOT NULL CHECK (context IN ('business', 'official', 'independent')),
          application TEXT NOT NULL, role TEXT NOT NULL, email TEXT,
          valid_from TEXT NOT NULL, valid_until TEXT,
          origin TEXT NOT NULL CHECK (origin IN ('direct', 'invitation', 'link')),
          invitation_id INTEGER REFERENCES invitation(id),
          stop_requested_at TEXT,
          assigned_by INTEGER REFERENCES person(id), assigned_via TEXT NOT NULL,
          created_at TEXT NOT NULL, revoked_at TEXT, revoked_by INTEGER)
        """,
        "CREATE INDEX role_assignment_person ON role_assignment(person_id)",
        """
        CREATE TABLE invitation (
          id INTEGER PRIMARY KEY,
          token TEXT NOT NULL UNIQUE,
          kind TEXT NOT NULL CHECK (kind IN ('email', 'link')),
          organisation TEXT NOT NULL,
          context TEXT NOT NULL, application TEXT NOT NULL, roles TEXT NOT NULL,
          invitee_name TEXT, invitee_surname TEXT, invitee_email TEXT, message TEXT,
          created_by INTEGER NOT NULL REFERENCES person(id), created_via TEXT NOT NULL,
          created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
          accepted_by INTEGER REFERENCES person(id), accepted_at TEXT, revoked_at TEXT)
        """,
        // INV-16: append-only audit. Person ids only; never a national number.
        """
        CREATE TABLE audit_event (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          at TEXT NOT NULL,
          actor_person_id INTEGER,
          authority TEXT NOT NULL,
          session_level INTEGER,
          action TEXT NOT NULL,
          organisation TEXT,
          subject_person_id INTEGER,
          before TEXT, after TEXT)
        """,
        "CREATE INDEX audit_event_subject ON audit_event(subject_person_id)",
        "CREATE INDEX audit_event_actor ON audit_event(actor_person_id)",
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
    ]
}

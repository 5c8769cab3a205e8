-- The database of the reference service (24sessions, a video-meeting
-- platform): the tables its dataset.yaml describes. Plain SQL that SQLite
-- and PostgreSQL both accept.

-- The account holders: subjects of kind user, whose data the operator
-- controls. account_id names the customer account (the company) a user
-- belongs to: the controller of the data of the guests its users invite.
CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    username     TEXT NOT NULL,
    company_name TEXT,
    email        TEXT UNIQUE,
    last_ip      TEXT,
    photo_url    TEXT,
    created_at   TEXT NOT NULL
);

CREATE TABLE meetings (
    id         INTEGER PRIMARY KEY,
    host_id    TEXT NOT NULL REFERENCES users (id),
    title      TEXT,
    started_at TEXT,
    ended_at   TEXT,
    wrapup     TEXT
);
CREATE INDEX meetings_host ON meetings (host_id);

-- A recording belongs to its meeting, and goes with it.
CREATE TABLE recordings (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    seconds    INTEGER NOT NULL
);
CREATE INDEX recordings_meeting ON recordings (meeting_id);

-- The guests of a meeting: subjects of kind guest, whose data the operator
-- processes for the host's account. A meeting's guest list goes with the
-- meeting.
CREATE TABLE meeting_guests (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    name       TEXT,
    phone      TEXT,
    ip_address TEXT,
    browser    TEXT,
    joined_at  TEXT
);
CREATE INDEX meeting_guests_meeting ON meeting_guests (meeting_id);
CREATE INDEX meeting_guests_email ON meeting_guests (email);

-- Invoices are fiscal records: kept seven years, whatever the customer
-- asks. They carry the billing details as they were when invoiced.
CREATE TABLE invoices (
    id              INTEGER PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    number          TEXT NOT NULL UNIQUE,
    issued_at       TEXT NOT NULL,
    amount_cents    INTEGER NOT NULL,
    billing_name    TEXT NOT NULL,
    billing_address TEXT NOT NULL,
    iban            TEXT,
    card_last4      TEXT
);
CREATE INDEX invoices_user ON invoices (user_id);

-- Where and what the newsletter is sent (the opt-outs themselves are in
-- the consent ledger and the subject state).
CREATE TABLE marketing_preferences (
    user_id       TEXT PRIMARY KEY REFERENCES users (id),
    email         TEXT NOT NULL,
    announcements INTEGER NOT NULL,
    surveys       INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
);

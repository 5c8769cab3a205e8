-- Sample rows for schema.sql: two account holders of two customer
-- accounts, their meetings, a recording each, guests (Gus joined a meeting
-- of each account), invoices and newsletter settings.
INSERT INTO users VALUES ('u-1', 'acme', 'ann', 'Acme BV', 'ann@acme.example', '192.0.2.1', 'https://cdn.example/ann.png', '2025-01-01T09:00:00Z');
INSERT INTO users VALUES ('u-2', 'globex', 'bob', 'Globex GmbH', 'bob@globex.example', '192.0.2.2', NULL, '2025-02-01T09:00:00Z');
INSERT INTO meetings VALUES (1, 'u-1', 'Kick-off', '2026-01-05T10:00:00Z', '2026-01-05T11:00:00Z', 'Agreed the plan');
INSERT INTO meetings VALUES (2, 'u-2', 'Globex sync', '2026-01-06T10:00:00Z', '2026-01-06T10:30:00Z', NULL);
INSERT INTO recordings VALUES (1, 1, 'https://rec.example/1.mp4', 3600);
INSERT INTO recordings VALUES (2, 2, 'https://rec.example/2.mp4', 1800);
INSERT INTO meeting_guests VALUES (1, 1, 'gus@guest.example', 'Gus', '+31 6 1234 5678', '198.51.100.7', 'Firefox 140', '2026-01-05T10:01:00Z');
INSERT INTO meeting_guests VALUES (2, 2, 'gus@guest.example', 'Gus G.', NULL, '198.51.100.8', 'Safari 19', '2026-01-06T10:02:00Z');
INSERT INTO meeting_guests VALUES (3, 1, 'gail@guest.example', 'Gail', NULL, NULL, NULL, NULL);
INSERT INTO invoices VALUES (1, 'u-1', '2026-0001', '2026-01-31', 4900, 'Ann Example', 'Keizersgracht 1, Amsterdam', 'NL91ABNA0417164300', '4242');
INSERT INTO invoices VALUES (2, 'u-2', '2026-0002', '2026-01-31', 9900, 'Bob Example', 'Hauptstrasse 2, Berlin', 'DE89370400440532013000', NULL);
INSERT INTO marketing_preferences VALUES ('u-1', 'ann@acme.example', 1, 0, '2026-01-01T00:00:00Z');
INSERT INTO marketing_preferences VALUES ('u-2', 'bob@globex.example', 0, 0, '2026-01-01T00:00:00Z');

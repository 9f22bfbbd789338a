-- Each device has its own broker account, named after the user and the device; its password
-- is issued at each registration and kept nowhere, so the table that kept one password per
-- user in plaintext is gone.
DROP TABLE broker_accounts;

-- A device queue's name ends in a random part (RabbitMQ answers a passive declare without
-- checking permissions, so a guessable name would tell anyone whether a machine is
-- registered). Machines registered before keep their queue and its name.
ALTER TABLE devices ADD COLUMN queue text;
UPDATE devices SET queue = 'notify.user.' || user_id || '.' || name;
ALTER TABLE devices ALTER COLUMN queue SET NOT NULL;

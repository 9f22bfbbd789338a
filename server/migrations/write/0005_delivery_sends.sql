-- Sends a channel worker started, written and committed before the network effect. A send
-- that finds its row already there repeats one that may have gone out before a crash (the
-- window between sending and recording the outcome), so it is counted in effect_duplicates.
CREATE TABLE delivery_sends (
    delivery_id  uuid NOT NULL,
    attempt      integer NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_id, attempt)
);

-- A notification some of whose channels succeeded before another failed for good is
-- `partially_delivered`, as a send in that state is; it was `failed`.
UPDATE notifications n SET status = 'partially_delivered'
WHERE n.status = 'failed'
  AND EXISTS (SELECT FROM deliveries d WHERE d.notification_id = n.id AND d.status = 'succeeded');

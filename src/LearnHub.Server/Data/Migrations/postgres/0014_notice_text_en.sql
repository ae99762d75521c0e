-- Notices are read in their reader's language: the English text is written beside the Chinese one when a notice is
-- made (Sessions/SessionNotices.cs). Older notices have none and are shown in Chinese.

ALTER TABLE notifications ADD COLUMN text_en TEXT;

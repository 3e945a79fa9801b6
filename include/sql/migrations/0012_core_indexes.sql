-- Households are rebuilt by family card number for the people a load touches.
CREATE INDEX IF NOT EXISTS verifikasi_no_kk ON core.verifikasi (no_kk);

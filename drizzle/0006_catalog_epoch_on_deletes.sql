-- A list filtered by a brand or category slug is a 422 once that brand or category is gone: their deletion
-- must move the catalog epoch too, or a process could keep serving the list it cached before.
CREATE TRIGGER `catalog_epoch_brand_deleted` AFTER DELETE ON `brand`
BEGIN
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `catalog_epoch_category_deleted` AFTER DELETE ON `category`
BEGIN
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;

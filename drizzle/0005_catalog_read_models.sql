CREATE TABLE `catalog_epoch` (
	`id` integer PRIMARY KEY NOT NULL,
	`value` integer NOT NULL,
	CONSTRAINT "catalog_epoch_single_row" CHECK("catalog_epoch"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `product_page` (
	`product_id` text PRIMARY KEY NOT NULL,
	`document` text NOT NULL,
	`etag` text NOT NULL,
	`built_at` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `product_list_newest_idx`;--> statement-breakpoint
DROP INDEX `product_list_price_idx`;--> statement-breakpoint
DROP INDEX `product_list_popular_idx`;--> statement-breakpoint
ALTER TABLE `product` ADD `list_compare_at_minor` integer;--> statement-breakpoint
ALTER TABLE `product` ADD `list_thumbnail_image_id` text;--> statement-breakpoint
ALTER TABLE `product` ADD `list_summary` text;--> statement-breakpoint
CREATE INDEX `product_list_newest_idx` ON `product` (`status`,`published_at`,`id`,`category_id`,`min_price_minor`,`brand_id`,`in_stock`,`seller_id`);--> statement-breakpoint
CREATE INDEX `product_list_price_idx` ON `product` (`status`,`min_price_minor`,`id`,`category_id`,`published_at`,`brand_id`,`in_stock`,`seller_id`);--> statement-breakpoint
CREATE INDEX `product_list_popular_idx` ON `product` (`status`,`popularity`,`id`,`category_id`,`min_price_minor`,`published_at`,`brand_id`,`in_stock`,`seller_id`);--> statement-breakpoint
-- The list's "was" price and thumbnail, kept by the database on every change of what they derive from.
UPDATE `product` SET
  `list_compare_at_minor` = (SELECT max(v.`compare_at_minor`) FROM `variant` v
    WHERE v.`product_id` = `product`.`id` AND v.`price_minor` = `product`.`min_price_minor` AND v.`compare_at_minor` > v.`price_minor`),
  `list_thumbnail_image_id` = coalesce(
    (SELECT i.`id` FROM `product_image` i WHERE i.`product_id` = `product`.`id` AND i.`variant_id` IS NULL ORDER BY i.`position`, i.`id` LIMIT 1),
    (SELECT i.`id` FROM `product_image` i WHERE i.`product_id` = `product`.`id` ORDER BY i.`position`, i.`id` LIMIT 1));--> statement-breakpoint
CREATE TRIGGER `product_list_compare_at_on_price` AFTER UPDATE OF `min_price_minor` ON `product`
BEGIN
  UPDATE `product` SET `list_compare_at_minor` = (SELECT max(v.`compare_at_minor`) FROM `variant` v
    WHERE v.`product_id` = new.id AND v.`price_minor` = new.min_price_minor AND v.`compare_at_minor` > v.`price_minor`)
  WHERE `id` = new.id;
END;--> statement-breakpoint
CREATE TRIGGER `product_list_compare_at_on_variant_added` AFTER INSERT ON `variant`
BEGIN
  UPDATE `product` SET `list_compare_at_minor` = (SELECT max(v.`compare_at_minor`) FROM `variant` v
    WHERE v.`product_id` = `product`.`id` AND v.`price_minor` = `product`.`min_price_minor` AND v.`compare_at_minor` > v.`price_minor`)
  WHERE `id` = new.product_id;
END;--> statement-breakpoint
CREATE TRIGGER `product_list_compare_at_on_variant_changed` AFTER UPDATE OF `price_minor`, `compare_at_minor`, `product_id` ON `variant`
BEGIN
  UPDATE `product` SET `list_compare_at_minor` = (SELECT max(v.`compare_at_minor`) FROM `variant` v
    WHERE v.`product_id` = `product`.`id` AND v.`price_minor` = `product`.`min_price_minor` AND v.`compare_at_minor` > v.`price_minor`)
  WHERE `id` IN (old.product_id, new.product_id);
END;--> statement-breakpoint
CREATE TRIGGER `product_list_compare_at_on_variant_deleted` AFTER DELETE ON `variant`
BEGIN
  UPDATE `product` SET `list_compare_at_minor` = (SELECT max(v.`compare_at_minor`) FROM `variant` v
    WHERE v.`product_id` = `product`.`id` AND v.`price_minor` = `product`.`min_price_minor` AND v.`compare_at_minor` > v.`price_minor`)
  WHERE `id` = old.product_id;
END;--> statement-breakpoint
CREATE TRIGGER `product_list_thumbnail_on_image_added` AFTER INSERT ON `product_image`
BEGIN
  UPDATE `product` SET `list_thumbnail_image_id` = coalesce(
    (SELECT i.`id` FROM `product_image` i WHERE i.`product_id` = `product`.`id` AND i.`variant_id` IS NULL ORDER BY i.`position`, i.`id` LIMIT 1),
    (SELECT i.`id` FROM `product_image` i WHERE i.`product_id` = `product`.`id` ORDER BY i.`position`, i.`id` LIMIT 1))
  WHERE `id` = new.product_id;
END;--> statement-breakpoint
CREATE TRIGGER `product_list_thumbnail_on_image_changed` AFTER UPDATE OF `position`, `variant_id`, `product_id` ON `product_image`
BEGIN
  UPDATE `product` SET `list_thumbnail_image_id` = coalesce(
    (SELECT i.`id` FROM `product_image` i WHERE i.`product_id` = `product`.`id` AND i.`variant_id` IS NULL ORDER BY i.`position`, i.`id` LIMIT 1),
    (SELECT i.`id` FROM `product_image` i WHERE i.`product_id` = `product`.`id` ORDER BY i.`position`, i.`id` LIMIT 1))
  WHERE `id` IN (old.product_id, new.product_id);
END;--> statement-breakpoint
CREATE TRIGGER `product_list_thumbnail_on_image_deleted` AFTER DELETE ON `product_image`
BEGIN
  UPDATE `product` SET `list_thumbnail_image_id` = coalesce(
    (SELECT i.`id` FROM `product_image` i WHERE i.`product_id` = `product`.`id` AND i.`variant_id` IS NULL ORDER BY i.`position`, i.`id` LIMIT 1),
    (SELECT i.`id` FROM `product_image` i WHERE i.`product_id` = `product`.`id` ORDER BY i.`position`, i.`id` LIMIT 1))
  WHERE `id` = old.product_id;
END;--> statement-breakpoint
INSERT INTO `catalog_epoch` (`id`, `value`) VALUES (1, 0);--> statement-breakpoint
-- Below: what keeps product_page true. Each trigger deletes the pages a change makes stale and advances the
-- epoch, in the transaction of the change itself, so no write path (service, import, seed, a later service
-- or a hand-run UPDATE) can forget to.
CREATE TRIGGER `product_page_product_changed` AFTER UPDATE ON `product`
WHEN old.slug IS NOT new.slug OR old.title IS NOT new.title OR old.description IS NOT new.description
  OR old.seller_id IS NOT new.seller_id OR old.brand_id IS NOT new.brand_id OR old.category_id IS NOT new.category_id
  OR old.status IS NOT new.status OR old.currency IS NOT new.currency OR old.min_price_minor IS NOT new.min_price_minor
  OR old.max_price_minor IS NOT new.max_price_minor OR old.in_stock IS NOT new.in_stock
  OR old.rating_average_x100 IS NOT new.rating_average_x100 OR old.rating_count IS NOT new.rating_count
  OR old.published_at IS NOT new.published_at OR old.updated_at IS NOT new.updated_at
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = old.id;
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_product_deleted` AFTER DELETE ON `product`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = old.id;
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_variant_added` AFTER INSERT ON `variant`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = new.product_id;
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_variant_changed` AFTER UPDATE ON `variant`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (old.product_id, new.product_id);
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_variant_deleted` AFTER DELETE ON `variant`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = old.product_id;
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_image_added` AFTER INSERT ON `product_image`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = new.product_id;
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_image_changed` AFTER UPDATE ON `product_image`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (old.product_id, new.product_id);
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_image_deleted` AFTER DELETE ON `product_image`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = old.product_id;
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_attribute_added` AFTER INSERT ON `product_attribute`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = new.product_id;
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_attribute_changed` AFTER UPDATE ON `product_attribute`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (old.product_id, new.product_id);
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_attribute_deleted` AFTER DELETE ON `product_attribute`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = old.product_id;
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_stock_added` AFTER INSERT ON `stock_level`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = (SELECT `product_id` FROM `variant` WHERE `id` = new.variant_id);
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_stock_deleted` AFTER DELETE ON `stock_level`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` = (SELECT `product_id` FROM `variant` WHERE `id` = old.variant_id);
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
-- A page shows each variant's stock status (out / low / in_stock over the sums of all its locations), never
-- the counts: most stock changes (a reservation, a sale) leave it as it was and keep the page. The sums after
-- the change are in the table; before it, they differed by this row's own change.
CREATE TRIGGER `product_page_stock_status_changed` AFTER UPDATE OF `on_hand`, `reserved`, `low_stock_threshold`, `variant_id` ON `stock_level`
WHEN old.variant_id IS NOT new.variant_id OR (
  SELECT CASE WHEN available <= 0 THEN 0 WHEN available <= threshold THEN 1 ELSE 2 END
    IS NOT CASE WHEN available_before <= 0 THEN 0 WHEN available_before <= threshold_before THEN 1 ELSE 2 END
  FROM (
    SELECT available, threshold,
      available - (new.on_hand - new.reserved) + (old.on_hand - old.reserved) AS available_before,
      threshold - new.low_stock_threshold + old.low_stock_threshold AS threshold_before
    FROM (SELECT coalesce(sum(`on_hand` - `reserved`), 0) AS available, coalesce(sum(`low_stock_threshold`), 0) AS threshold
      FROM `stock_level` WHERE `variant_id` = new.variant_id)
  )
)
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (SELECT `product_id` FROM `variant` WHERE `id` IN (old.variant_id, new.variant_id));
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
-- Breadcrumbs and inherited attribute labels come from the category and every ancestor: a change to one
-- category stales the pages of its whole subtree (under its old path and, after a move, its new one).
CREATE TRIGGER `product_page_category_changed` AFTER UPDATE OF `slug`, `name`, `parent_id`, `path`, `depth` ON `category`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (
    SELECT p.`id` FROM `product` p JOIN `category` c ON c.`id` = p.`category_id`
    WHERE substr(c.`path`, 1, length(old.path)) = old.path OR substr(c.`path`, 1, length(new.path)) = new.path);
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_category_attribute_added` AFTER INSERT ON `category_attribute`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (
    SELECT p.`id` FROM `product` p JOIN `category` c ON c.`id` = p.`category_id`
    WHERE substr(c.`path`, 1, length((SELECT `path` FROM `category` WHERE `id` = new.category_id))) = (SELECT `path` FROM `category` WHERE `id` = new.category_id));
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_category_attribute_changed` AFTER UPDATE ON `category_attribute`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (
    SELECT p.`id` FROM `product` p JOIN `category` c ON c.`id` = p.`category_id`, `category` changed
    WHERE changed.`id` IN (old.category_id, new.category_id) AND substr(c.`path`, 1, length(changed.`path`)) = changed.`path`);
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_category_attribute_deleted` AFTER DELETE ON `category_attribute`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (
    SELECT p.`id` FROM `product` p JOIN `category` c ON c.`id` = p.`category_id`
    WHERE substr(c.`path`, 1, length((SELECT `path` FROM `category` WHERE `id` = old.category_id))) = (SELECT `path` FROM `category` WHERE `id` = old.category_id));
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `product_page_brand_changed` AFTER UPDATE OF `slug`, `name` ON `brand`
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (SELECT `id` FROM `product` WHERE `brand_id` = old.id);
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
-- The page names its seller: accounts' `user.name`, read-only here.
CREATE TRIGGER `product_page_seller_renamed` AFTER UPDATE OF `name` ON `user`
WHEN old.name IS NOT new.name
BEGIN
  DELETE FROM `product_page` WHERE `product_id` IN (SELECT `id` FROM `product` WHERE `seller_id` = old.id);
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;
--> statement-breakpoint
-- The public list's entry for a product (a PublicProductSummary, contracts/catalog-browse.ts), as JSON. Written into
-- product.list_summary by the triggers below, so a list page is these strings joined. Image URLs are those of
-- core/catalog/browse (imageUrl). compareAt is left out, not null, when there is none.
CREATE VIEW `product_list_summary` AS
SELECT p.`id` AS `product_id`, json_patch(json_object(
    'id', p.`id`, 'slug', p.`slug`, 'title', p.`title`,
    'brand', CASE WHEN b.`id` IS NULL THEN NULL ELSE json_object('slug', b.`slug`, 'name', b.`name`) END,
    'category', json_object('slug', c.`slug`, 'name', c.`name`),
    'price', json_object('currency', p.`currency`, 'min', p.`min_price_minor`, 'max', coalesce(p.`max_price_minor`, p.`min_price_minor`)),
    'inStock', json(CASE WHEN p.`in_stock` THEN 'true' ELSE 'false' END),
    'thumbnailUrl', '/v1/images/' || p.`list_thumbnail_image_id` || '/thumb',
    'rating', json_object('average', CASE WHEN p.`rating_count` = 0 THEN NULL ELSE p.`rating_average_x100` / 100.0 END, 'count', p.`rating_count`)
  ), CASE WHEN p.`list_compare_at_minor` IS NULL THEN '{}' ELSE json_object('compareAt', p.`list_compare_at_minor`) END) AS `summary`
FROM `product` p JOIN `category` c ON c.`id` = p.`category_id` LEFT JOIN `brand` b ON b.`id` = p.`brand_id`;--> statement-breakpoint
UPDATE `product` SET `list_summary` = (SELECT `summary` FROM `product_list_summary` s WHERE s.`product_id` = `product`.`id`);--> statement-breakpoint
CREATE TRIGGER `product_list_summary_on_insert` AFTER INSERT ON `product`
BEGIN
  UPDATE `product` SET `list_summary` = (SELECT `summary` FROM `product_list_summary` WHERE `product_id` = new.id) WHERE `id` = new.id;
END;--> statement-breakpoint
CREATE TRIGGER `product_list_summary_on_update` AFTER UPDATE ON `product`
WHEN old.slug IS NOT new.slug OR old.title IS NOT new.title OR old.brand_id IS NOT new.brand_id OR old.category_id IS NOT new.category_id
  OR old.currency IS NOT new.currency OR old.min_price_minor IS NOT new.min_price_minor OR old.max_price_minor IS NOT new.max_price_minor
  OR old.in_stock IS NOT new.in_stock OR old.rating_average_x100 IS NOT new.rating_average_x100 OR old.rating_count IS NOT new.rating_count
  OR old.list_compare_at_minor IS NOT new.list_compare_at_minor OR old.list_thumbnail_image_id IS NOT new.list_thumbnail_image_id
  OR new.list_summary IS NULL
BEGIN
  UPDATE `product` SET `list_summary` = (SELECT `summary` FROM `product_list_summary` WHERE `product_id` = new.id) WHERE `id` = new.id;
END;--> statement-breakpoint
CREATE TRIGGER `product_list_summary_on_brand` AFTER UPDATE OF `slug`, `name` ON `brand`
BEGIN
  UPDATE `product` SET `list_summary` = (SELECT `summary` FROM `product_list_summary` s WHERE s.`product_id` = `product`.`id`) WHERE `brand_id` = new.id;
END;--> statement-breakpoint
CREATE TRIGGER `product_list_summary_on_category` AFTER UPDATE OF `slug`, `name` ON `category`
BEGIN
  UPDATE `product` SET `list_summary` = (SELECT `summary` FROM `product_list_summary` s WHERE s.`product_id` = `product`.`id`) WHERE `category_id` = new.id;
END;
--> statement-breakpoint
-- Lists change without any page changing when a product arrives (a seed or an import may add it already active)
-- or its popularity (the "popular" sort) moves.
CREATE TRIGGER `catalog_epoch_product_added` AFTER INSERT ON `product`
BEGIN
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;--> statement-breakpoint
CREATE TRIGGER `catalog_epoch_popularity_changed` AFTER UPDATE OF `popularity` ON `product`
WHEN old.popularity IS NOT new.popularity
BEGIN
  UPDATE `catalog_epoch` SET `value` = `value` + 1;
END;

-- Run once by the postgres image on its first start (docker-entrypoint-initdb.d), as the
-- superuser `choreo`. Database per service: each service gets its own database, owned by
-- its own role, and only that role may connect to it. The operations (dead-letter)
-- database `choreo_ops` belongs to the dead-letter worker's role `ops`.
--
-- Passwords equal role names: this is a development stack. For anything shared, set
-- real passwords here and in the CHOREO_*_DATABASE_URL values of docker-compose.yml.

CREATE ROLE customers LOGIN PASSWORD 'customers';
CREATE DATABASE choreo_customers OWNER customers;
REVOKE CONNECT, TEMPORARY ON DATABASE choreo_customers FROM PUBLIC;

CREATE ROLE orders LOGIN PASSWORD 'orders';
CREATE DATABASE choreo_orders OWNER orders;
REVOKE CONNECT, TEMPORARY ON DATABASE choreo_orders FROM PUBLIC;

CREATE ROLE inventory LOGIN PASSWORD 'inventory';
CREATE DATABASE choreo_inventory OWNER inventory;
REVOKE CONNECT, TEMPORARY ON DATABASE choreo_inventory FROM PUBLIC;

CREATE ROLE payments LOGIN PASSWORD 'payments';
CREATE DATABASE choreo_payments OWNER payments;
REVOKE CONNECT, TEMPORARY ON DATABASE choreo_payments FROM PUBLIC;

CREATE ROLE notifications LOGIN PASSWORD 'notifications';
CREATE DATABASE choreo_notifications OWNER notifications;
REVOKE CONNECT, TEMPORARY ON DATABASE choreo_notifications FROM PUBLIC;

CREATE ROLE event_log LOGIN PASSWORD 'event_log';
CREATE DATABASE choreo_event_log OWNER event_log;
REVOKE CONNECT, TEMPORARY ON DATABASE choreo_event_log FROM PUBLIC;

CREATE ROLE ops LOGIN PASSWORD 'ops';
CREATE DATABASE choreo_ops OWNER ops;
REVOKE CONNECT, TEMPORARY ON DATABASE choreo_ops FROM PUBLIC;

-- The default database of the superuser is nobody's service database either.
REVOKE CONNECT, TEMPORARY ON DATABASE choreo FROM PUBLIC;

-- Runs once, when the postgres container initialises an empty data volume
-- (mounted into /docker-entrypoint-initdb.d by docker-compose.yml). Runs as POSTGRES_USER
-- (heating), which therefore owns the databases. Each service owns its own database and
-- creates its tables itself: migrations run at service start-up.
CREATE DATABASE heating_intake;
CREATE DATABASE heating_dispatch;
CREATE DATABASE heating_sms_survey;
CREATE DATABASE heating_kpi;

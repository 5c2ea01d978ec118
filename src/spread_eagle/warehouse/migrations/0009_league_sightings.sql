-- Several leagues in one warehouse: raw tables are shared, and a payload belongs to the league whose
-- run fetched it. Each sighting records that league; dbt reads only its league's sightings (macro
-- `seen_as_of`), so an NBA build never sees an NFL payload. Sightings from before leagues were
-- recorded take the league of the run that wrote them.
alter table raw.payload_sighting add column league text;
update raw.payload_sighting set league = (
  select r.league from ops.run r where r.run_id = raw.payload_sighting.run_id
);

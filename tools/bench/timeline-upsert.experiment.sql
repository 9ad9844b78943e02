-- Experiment (benchmarks only): server-side cost of the timeline upsert (libs/timeline/src/timeline.projection.ts)
-- for one rebuild batch of 20,000 events over 10,000 runs (~8,650 distinct runs -> 8,650 ON CONFLICT updates).
-- Four variants, each on a fresh 10,000-row table with the projection's columns and indexes, one warm-up
-- statement then three timed:
--   A  the projection's statement as is (stages merged by unnest ... group by ... order by), fillfactor 100
--   B  the same with fillfactor 70 (room on each page for HOT updates: no indexed column changes on update)
--   C  stages merged by `case when t.stages @> excluded.stages then t.stages else ... end`, fillfactor 100
--   D  C with fillfactor 70
-- Run: psql "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" -f tools/bench/timeline-upsert.experiment.sql
-- It works in its own schema bench_upsert_exp and drops it at the end.
\set ON_ERROR_STOP on
drop schema if exists bench_upsert_exp cascade;
create schema bench_upsert_exp;
set search_path to bench_upsert_exp;
create table d as select 'proj-' || (i % 10) as project_id, 'run-' || i as run_id,
  case when i % 10 = 0 then null else 'run-' || (i / 10 * 10) end as parent_run_id,
  now() - interval '1 day' + i * interval '1 ms' as first_at, now() as last_at, 2 as event_count, 1 as info_count,
  1 as warning_count, 0 as error_count, 0 as critical_count, 1::smallint as highest_severity_rank,
  array['training', 'eval'] as stages, 1000000 + i as latest_seq, 'training_progress' as latest_reason_code,
  'training' as latest_stage, 'training_progress #12 of run-' || i as last_summary, 'service:bench-fill' as last_actor
  from generate_series(0, 9999) i;

\echo === A current statement, fillfactor 100
drop table if exists t;
create table t (project_id text not null, run_id text not null, parent_run_id text, first_at timestamptz not null,
  last_at timestamptz not null, event_count int not null, info_count int not null, warning_count int not null,
  error_count int not null, critical_count int not null, highest_severity_rank smallint not null, stages text[] not null,
  latest_seq bigint not null, latest_reason_code text not null, latest_stage text not null, last_summary text not null,
  last_actor text not null, constraint t_pk primary key (project_id, run_id)) with (fillfactor = 100);
create index t_parent on t (project_id, parent_run_id);
create index t_first on t (first_at, project_id, run_id);
create index t_run on t (run_id);
insert into t select * from d;
vacuum analyze t;
\set round w
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = array(select s from unnest(t.stages || excluded.stages) with ordinality u(s, i) group by s order by min(i)),
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\timing on
\set round r0
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = array(select s from unnest(t.stages || excluded.stages) with ordinality u(s, i) group by s order by min(i)),
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\set round r1
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = array(select s from unnest(t.stages || excluded.stages) with ordinality u(s, i) group by s order by min(i)),
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\set round r2
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = array(select s from unnest(t.stages || excluded.stages) with ordinality u(s, i) group by s order by min(i)),
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\timing off
select pg_stat_force_next_flush() \gset
select n_tup_upd as updates, n_tup_hot_upd as hot_updates from pg_stat_user_tables where relname = 't';

\echo === B current statement, fillfactor 70
drop table if exists t;
create table t (project_id text not null, run_id text not null, parent_run_id text, first_at timestamptz not null,
  last_at timestamptz not null, event_count int not null, info_count int not null, warning_count int not null,
  error_count int not null, critical_count int not null, highest_severity_rank smallint not null, stages text[] not null,
  latest_seq bigint not null, latest_reason_code text not null, latest_stage text not null, last_summary text not null,
  last_actor text not null, constraint t_pk primary key (project_id, run_id)) with (fillfactor = 70);
create index t_parent on t (project_id, parent_run_id);
create index t_first on t (first_at, project_id, run_id);
create index t_run on t (run_id);
insert into t select * from d;
vacuum analyze t;
\set round w
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = array(select s from unnest(t.stages || excluded.stages) with ordinality u(s, i) group by s order by min(i)),
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\timing on
\set round r0
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = array(select s from unnest(t.stages || excluded.stages) with ordinality u(s, i) group by s order by min(i)),
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\set round r1
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = array(select s from unnest(t.stages || excluded.stages) with ordinality u(s, i) group by s order by min(i)),
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\set round r2
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = array(select s from unnest(t.stages || excluded.stages) with ordinality u(s, i) group by s order by min(i)),
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\timing off
select pg_stat_force_next_flush() \gset
select n_tup_upd as updates, n_tup_hot_upd as hot_updates from pg_stat_user_tables where relname = 't';

\echo === C simpler stages merge, fillfactor 100
drop table if exists t;
create table t (project_id text not null, run_id text not null, parent_run_id text, first_at timestamptz not null,
  last_at timestamptz not null, event_count int not null, info_count int not null, warning_count int not null,
  error_count int not null, critical_count int not null, highest_severity_rank smallint not null, stages text[] not null,
  latest_seq bigint not null, latest_reason_code text not null, latest_stage text not null, last_summary text not null,
  last_actor text not null, constraint t_pk primary key (project_id, run_id)) with (fillfactor = 100);
create index t_parent on t (project_id, parent_run_id);
create index t_first on t (first_at, project_id, run_id);
create index t_run on t (run_id);
insert into t select * from d;
vacuum analyze t;
\set round w
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = case when t.stages @> excluded.stages then t.stages else t.stages || excluded.stages end,
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\timing on
\set round r0
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = case when t.stages @> excluded.stages then t.stages else t.stages || excluded.stages end,
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\set round r1
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = case when t.stages @> excluded.stages then t.stages else t.stages || excluded.stages end,
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\set round r2
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = case when t.stages @> excluded.stages then t.stages else t.stages || excluded.stages end,
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\timing off
select pg_stat_force_next_flush() \gset
select n_tup_upd as updates, n_tup_hot_upd as hot_updates from pg_stat_user_tables where relname = 't';

\echo === D simpler stages merge, fillfactor 70
drop table if exists t;
create table t (project_id text not null, run_id text not null, parent_run_id text, first_at timestamptz not null,
  last_at timestamptz not null, event_count int not null, info_count int not null, warning_count int not null,
  error_count int not null, critical_count int not null, highest_severity_rank smallint not null, stages text[] not null,
  latest_seq bigint not null, latest_reason_code text not null, latest_stage text not null, last_summary text not null,
  last_actor text not null, constraint t_pk primary key (project_id, run_id)) with (fillfactor = 70);
create index t_parent on t (project_id, parent_run_id);
create index t_first on t (first_at, project_id, run_id);
create index t_run on t (run_id);
insert into t select * from d;
vacuum analyze t;
\set round w
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = case when t.stages @> excluded.stages then t.stages else t.stages || excluded.stages end,
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\timing on
\set round r0
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = case when t.stages @> excluded.stages then t.stages else t.stages || excluded.stages end,
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\set round r1
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = case when t.stages @> excluded.stages then t.stages else t.stages || excluded.stages end,
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\set round r2
insert into t select * from d where hashtext(run_id || :'round') % 1000 < 865
on conflict (project_id, run_id) do update set
  parent_run_id = coalesce(t.parent_run_id, excluded.parent_run_id), first_at = least(t.first_at, excluded.first_at),
  last_at = greatest(t.last_at, excluded.last_at), event_count = t.event_count + excluded.event_count,
  info_count = t.info_count + excluded.info_count, warning_count = t.warning_count + excluded.warning_count,
  error_count = t.error_count + excluded.error_count, critical_count = t.critical_count + excluded.critical_count,
  highest_severity_rank = greatest(t.highest_severity_rank, excluded.highest_severity_rank),
  stages = case when t.stages @> excluded.stages then t.stages else t.stages || excluded.stages end,
  latest_seq = greatest(t.latest_seq, excluded.latest_seq),
  latest_reason_code = case when excluded.latest_seq >= t.latest_seq then excluded.latest_reason_code else t.latest_reason_code end,
  latest_stage = case when excluded.latest_seq >= t.latest_seq then excluded.latest_stage else t.latest_stage end,
  last_summary = case when excluded.latest_seq >= t.latest_seq then excluded.last_summary else t.last_summary end,
  last_actor = case when excluded.latest_seq >= t.latest_seq then excluded.last_actor else t.last_actor end;
\timing off
select pg_stat_force_next_flush() \gset
select n_tup_upd as updates, n_tup_hot_upd as hot_updates from pg_stat_user_tables where relname = 't';

drop schema bench_upsert_exp cascade;

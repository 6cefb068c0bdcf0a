namespace Cairn.Storage.Postgres;

/// <summary>
/// SQL functions the filter language needs and PostgreSQL lacks, created (or replaced) when Cairn opens the
/// database. <c>cairn_strftime</c> is SQLite's <c>strftime(format, time, modifiers…)</c> for the formats and
/// modifiers PocketBase documents, over the UTC text dates Cairn stores; anything it cannot read gives NULL,
/// as in SQLite. <c>total</c> is SQLite's never-NULL sum, which view queries use.
/// </summary>
internal static class PostgresFunctions
{
    // An advisory lock keeps several nodes starting at once from replacing the function concurrently.
    public const string Create = """
        SELECT pg_advisory_xact_lock(7270011);
        -- SQLite's TOTAL: a sum that is 0.0, not NULL, over no rows (view queries use it).
        CREATE OR REPLACE AGGREGATE total(double precision) (SFUNC = float8pl, STYPE = double precision, INITCOND = '0');
        CREATE OR REPLACE FUNCTION cairn_strftime(format text, VARIADIC args text[] DEFAULT ARRAY[]::text[]) RETURNS text
        LANGUAGE plpgsql IMMUTABLE AS $fn$
        DECLARE
          t timestamp;
          value text := CASE WHEN COALESCE(array_length(args, 1), 0) = 0 THEN 'now' ELSE args[1] END;
          modifier text;
          m text[];
          result text := '';
          i int := 1;
          c text;
        BEGIN
          IF format IS NULL OR value IS NULL THEN RETURN NULL; END IF;
          BEGIN
            IF value = 'now' THEN t := (now() AT TIME ZONE 'UTC');
            ELSIF value ~ '^-?[0-9]+(\.[0-9]+)?$' THEN t := to_timestamp(value::double precision) AT TIME ZONE 'UTC';
            ELSE t := replace(replace(value, 'T', ' '), 'Z', '')::timestamp;
            END IF;
          EXCEPTION WHEN others THEN RETURN NULL;
          END;
          FOR k IN 2 .. COALESCE(array_length(args, 1), 0) LOOP
            modifier := lower(trim(args[k]));
            IF modifier = 'start of day' THEN t := date_trunc('day', t);
            ELSIF modifier = 'start of month' THEN t := date_trunc('month', t);
            ELSIF modifier = 'start of year' THEN t := date_trunc('year', t);
            ELSIF modifier IN ('utc', 'localtime', 'unixepoch', 'auto', 'subsec', 'subsecond') THEN NULL;
            ELSE
              m := regexp_match(modifier, '^([-+]?[0-9]+(\.[0-9]+)?) +(second|minute|hour|day|month|year)s?$');
              IF m IS NULL THEN RETURN NULL; END IF;
              t := t + (m[1] || ' ' || m[3])::interval;
            END IF;
          END LOOP;
          WHILE i <= length(format) LOOP
            c := substr(format, i, 1);
            IF c = '%' AND i < length(format) THEN
              i := i + 1;
              c := substr(format, i, 1);
              result := result || CASE c
                WHEN 'd' THEN to_char(t, 'DD')
                WHEN 'e' THEN lpad(extract(day FROM t)::int::text, 2, ' ')
                WHEN 'f' THEN to_char(t, 'SS.MS')
                WHEN 'F' THEN to_char(t, 'YYYY-MM-DD')
                WHEN 'H' THEN to_char(t, 'HH24')
                WHEN 'I' THEN to_char(t, 'HH12')
                WHEN 'j' THEN to_char(t, 'DDD')
                WHEN 'J' THEN (extract(epoch FROM t) / 86400.0 + 2440587.5)::text
                WHEN 'm' THEN to_char(t, 'MM')
                WHEN 'M' THEN to_char(t, 'MI')
                WHEN 'p' THEN to_char(t, 'AM')
                WHEN 'R' THEN to_char(t, 'HH24:MI')
                WHEN 's' THEN floor(extract(epoch FROM t))::bigint::text
                WHEN 'S' THEN to_char(t, 'SS')
                WHEN 'T' THEN to_char(t, 'HH24:MI:SS')
                WHEN 'u' THEN extract(isodow FROM t)::int::text
                WHEN 'w' THEN extract(dow FROM t)::int::text
                WHEN 'W' THEN lpad(((extract(doy FROM t)::int + 6 - ((extract(dow FROM t)::int + 6) % 7)) / 7)::text, 2, '0')
                WHEN 'Y' THEN to_char(t, 'YYYY')
                WHEN '%' THEN '%'
                ELSE NULL END;
              IF result IS NULL THEN RETURN NULL; END IF;
            ELSE
              result := result || c;
            END IF;
            i := i + 1;
          END LOOP;
          RETURN result;
        END
        $fn$;
        """;
}

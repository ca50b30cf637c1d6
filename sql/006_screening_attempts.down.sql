DROP TABLE IF EXISTS chokepoint.screening_attempts;

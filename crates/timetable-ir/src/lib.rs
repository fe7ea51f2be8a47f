//! The timetable IR (work in progress).

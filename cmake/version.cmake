# Build information for every manifest: which code (git revision) and how it was built.
#
# Included from the top CMakeLists, this sets CESIM_BUILD_FLAGS and defines
# cesim_git_revision_target(). Run as a script (cmake -P, on every build), it writes the source
# file that defines cesim::git_revision, so the revision follows commits without a re-configure.

# Writes `output` (a C++ source defining cesim::git_revision) only when its text changes, so an
# unchanged revision recompiles nothing.
function(cesim_write_git_revision source_dir output)
  set(revision "unknown")
  find_package(Git QUIET)
  if(GIT_FOUND AND EXISTS ${source_dir}/.git)
    execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --abbrev=12
                    WORKING_DIRECTORY ${source_dir}
                    OUTPUT_VARIABLE described OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE failed ERROR_QUIET)
    if(NOT failed AND described)
      set(revision ${described})
      # Not `describe --dirty`: that may rewrite .git/index, and this runs on every build, next
      # to whatever git commands people run; status without optional locks only reads.
      execute_process(COMMAND ${GIT_EXECUTABLE} --no-optional-locks status --porcelain
                              --untracked-files=no
                      WORKING_DIRECTORY ${source_dir}
                      OUTPUT_VARIABLE changes RESULT_VARIABLE failed ERROR_QUIET)
      if(NOT failed AND changes)
        string(APPEND revision "-dirty")
      endif()
    endif()
  endif()
  string(CONCAT text "// Generated on every build by cmake/version.cmake.\n"
                     "#include \"cesim/version.hpp\"\n\n"
                     "namespace cesim {\n"
                     "const char* const git_revision = \"${revision}\";\n"
                     "}  // namespace cesim\n")
  if(EXISTS ${output})
    file(READ ${output} previous)
    if("${previous}" STREQUAL "${text}")
      return()
    endif()
  endif()
  file(WRITE ${output} "${text}")
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  cesim_write_git_revision(${CESIM_SOURCE_DIR} ${CESIM_OUTPUT})
  return()
endif()

# The flags every file is compiled with: CMAKE_CXX_FLAGS, those of the build type and the
# directory-wide options (the sanitizers). Per-target warning flags leave the code unchanged.
string(TOUPPER "${CMAKE_BUILD_TYPE}" build_type_upper)
get_directory_property(directory_options COMPILE_OPTIONS)
list(JOIN directory_options " " directory_options)
string(JOIN " " CESIM_BUILD_FLAGS ${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${build_type_upper}}
            ${directory_options})
string(REGEX REPLACE "  +" " " CESIM_BUILD_FLAGS "${CESIM_BUILD_FLAGS}")
string(STRIP "${CESIM_BUILD_FLAGS}" CESIM_BUILD_FLAGS)
# Quoted into a C++ string literal.
string(REPLACE "\\" "\\\\" CESIM_BUILD_FLAGS "${CESIM_BUILD_FLAGS}")
string(REPLACE "\"" "\\\"" CESIM_BUILD_FLAGS "${CESIM_BUILD_FLAGS}")

# A target, run on every build, that keeps `output` (add it to a library's sources) up to date.
function(cesim_git_revision_target name output)
  # Written now as well, so the file exists for tools that read the build tree before a build.
  cesim_write_git_revision(${PROJECT_SOURCE_DIR} ${output})
  add_custom_target(${name}
    COMMAND ${CMAKE_COMMAND} -DCESIM_SOURCE_DIR=${PROJECT_SOURCE_DIR} -DCESIM_OUTPUT=${output}
            -P ${CMAKE_CURRENT_FUNCTION_LIST_FILE}
    BYPRODUCTS ${output}
    COMMENT "Checking the git revision"
    VERBATIM)
endfunction()
